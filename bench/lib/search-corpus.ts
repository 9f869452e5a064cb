/**
 * A deterministic chat corpus for the search benchmarks (bench/search.ts,
 * bench/send-index.ts): English, Chinese and mixed messages with a skewed
 * (Zipf-like) choice of words, so some words are everywhere and some are
 * rare, a few links, and a handful of marker words of known frequency that
 * the queries look for.
 */

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same corpus on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EN = (
  'the to and a of you i it is that in we for this on be have are with can not do just will at so but what me my ' +
  'time work meeting project today tomorrow please thanks team deploy server release update issue fix test build ' +
  'review code design client customer deadline plan week call office lunch dinner weekend morning afternoon night ' +
  'message search file picture photo document report data database query index page link share send read write ' +
  'running runs runner ran messages searching searched files pictures documents reports meetings projects ' +
  'happy sorry great good bad late early soon later now again still really maybe sure okay yes no hello hi bye ' +
  'coffee tea train bus flight hotel trip holiday birthday party movie music game book news weather rain sun ' +
  'question answer problem idea plan change check open close start stop wait help need want think know feel ' +
  'manager engineer designer product market sales budget invoice contract payment account password login ' +
  'bug crash error warning log metric alert backup restore migrate schema table column row cache queue worker'
).split(' ');

const ZH = (
  '消息 会议 项目 今天 明天 我们 时间 问题 工作 大家 已经 可以 没有 什么 知道 谢谢 晚上 吃饭 周末 下午 ' +
  '文件 发送 图片 搜索 服务器 数据库 测试 上线 部署 客户 需求 设计 代码 修复 版本 发布 计划 报告 ' +
  '老板 同事 朋友 电话 地址 邮件 附件 链接 网站 手机 电脑 系统 用户 密码 登录 账号 支付 订单 价格 ' +
  '天气 下雨 咖啡 午饭 火车 飞机 酒店 旅行 生日 电影 音乐 游戏 新闻 学校 老师 学生 考试 作业 ' +
  '开始 结束 等待 帮忙 需要 觉得 希望 记得 注意 确认 安排 准备 讨论 决定 处理 检查 更新 备份 恢复'
).split(' ');
const ZH_GLUE = ['的', '了', '吗', '呢', '吧', '在', '是', '和', '也', '都', '还', '就', '把', '给'];
const ZH_PUNCT = ['，', '。', '！', '？', ''];

/** Words of known frequency (per message), for the "rare" queries: each about 1 message in 20,000. */
export const RARE_EN = ['xylophone', 'quokka', 'zeppelin', 'marzipan', 'kumquat'];
export const RARE_ZH = ['麒麟', '琵琶', '饕餮', '翡翠', '珊瑚'];
const RARE_RATE = 1 / 20_000;

/** An index skewed towards the start: the first words are common, the last ones rare. */
function zipfIndex(rand: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(n * rand() ** 2.2));
}

function englishWords(rand: () => number, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(EN[zipfIndex(rand, EN.length)]!);
  return out;
}

function chineseText(rand: () => number, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) {
    s += ZH[zipfIndex(rand, ZH.length)]!;
    if (rand() < 0.35) s += ZH_GLUE[Math.floor(rand() * ZH_GLUE.length)]!;
    if (rand() < 0.15) s += ZH_PUNCT[Math.floor(rand() * ZH_PUNCT.length)]!;
  }
  return s;
}

/** One message body: 45 % English, 35 % Chinese, 20 % mixed; 5 % carry a link; rare words now and then. */
export function messageBody(rand: () => number): string {
  const kind = rand();
  let body: string;
  if (kind < 0.45) {
    const words = englishWords(rand, 3 + Math.floor(rand() * 18));
    words[0] = words[0]!.charAt(0).toUpperCase() + words[0]!.slice(1);
    body = words.join(' ') + (rand() < 0.5 ? '.' : rand() < 0.5 ? '?' : '!');
  } else if (kind < 0.8) {
    body = chineseText(rand, 2 + Math.floor(rand() * 10));
  } else {
    body = `${chineseText(rand, 1 + Math.floor(rand() * 4))} ${englishWords(rand, 1 + Math.floor(rand() * 3)).join(' ')} ${chineseText(rand, 1 + Math.floor(rand() * 4))}`;
  }
  if (rand() < 0.05) body += ` https://example.com/${EN[Math.floor(rand() * EN.length)]}/${Math.floor(rand() * 100_000)}`;
  if (rand() < RARE_RATE * RARE_EN.length) body += ` ${RARE_EN[Math.floor(rand() * RARE_EN.length)]}`;
  if (rand() < RARE_RATE * RARE_ZH.length) body += RARE_ZH[Math.floor(rand() * RARE_ZH.length)]!;
  return body;
}
