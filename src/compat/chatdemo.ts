import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { AppError } from '../domain/errors.js';
import type { Ctx } from '../edge/context.js';
import { checkXsrf, field, issueXsrfCookie, linkify, postLimit, scriptSafeJson, xhtmlEscape } from './http.js';
import type { LobbyFeed, LobbyMessage } from './lobby.js';

/**
 * Tornado's chatdemo (seed 002, and the message wall of seed 001) on the lobby:
 *
 *   POST /a/message/new      body, _xsrf[, next]  → the message JSON, or a redirect to `next`
 *   POST /a/message/updates  cursor, _xsrf        → long poll: {messages: [...]} after `cursor`
 *   GET  /chatdemo                                → the seed's page (issues the `_xsrf` cookie)
 *
 * A message is {id, from, body, html}: `html` is the seed's message.html
 * template rendered with autoescape, `from` the sender's display name.
 */
export const UPDATE_LIMIT = 100;

export interface ChatdemoMessage {
  id: string;
  from: string;
  body: string;
  html: string;
}

/** templates/message.html: <div class="message" id="m{{ id }}"><b>{{ from }}: </b>{% module linkify(body) %}</div> */
export function renderMessage(m: LobbyMessage): ChatdemoMessage {
  const from = m.message.senderName;
  const body = m.message.body;
  return {
    id: m.id,
    from,
    body,
    html: `<div class="message" id="m${xhtmlEscape(m.id)}"><b>${xhtmlEscape(from)}: </b>${linkify(body)}</div>`,
  };
}

/** `next` is followed only to a path on this site (no scheme, no "//host", no backslashes). */
function safeNext(next: string): boolean {
  return next.length <= 512 && /^\/(?![/\\])[^\s\\]*$/.test(next);
}

function sendJson(reply: FastifyReply, value: unknown): FastifyReply {
  return reply.type('application/json; charset=UTF-8').send(scriptSafeJson(value));
}

export function chatdemoRoutes(app: FastifyInstance, ctx: Ctx, feed: LobbyFeed): void {
  app.post('/a/message/new', postLimit(ctx), async (req, reply) => {
    checkXsrf(req);
    const body = field(req, 'body');
    if (body === null) throw new AppError('VALIDATION_FAILED', 'Missing argument "body".');
    const next = field(req, 'next');
    if (next && !safeNext(next)) throw new AppError('VALIDATION_FAILED', '"next" must be a path on this site, such as /chatdemo.');
    const message = renderMessage(await feed.post(body));
    if (next) return reply.redirect(next, 302);
    return sendJson(reply, message);
  });

  app.post('/a/message/updates', async (req, reply) => {
    checkXsrf(req);
    const cursor = field(req, 'cursor');
    // No cursor: wait for whatever comes next (the page already shows what came before).
    let position = cursor ? decodeCursor(cursor) : feed.head;
    let messages: LobbyMessage[];
    try {
      messages = await feed.poll(position, UPDATE_LIMIT, ctx.config.maxWaitSeconds * 1000, req.ip, reply.raw);
    } catch (err) {
      if ((err as { code?: string }).code !== 'CURSOR_EXPIRED') throw err;
      // The seed's client has no way to reload; like the seed's bounded cache, go on from now.
      position = feed.head;
      messages = await feed.poll(position, UPDATE_LIMIT, ctx.config.maxWaitSeconds * 1000, req.ip, reply.raw);
    }
    // Timed out: "{}" has no `messages`, which the seed's client skips before polling again at once.
    return sendJson(reply, messages.length > 0 ? { messages: messages.map(renderMessage) } : {});
  });

  app.get('/chatdemo', async (req, reply) => {
    const xsrf = issueXsrfCookie(req, reply, ctx);
    // The cache and the head are read in one synchronous step: the page's cursor follows its last message.
    const recent = feed.recent.slice();
    const cursor = encodeCursor(feed.head);
    const nonce = randomBytes(16).toString('base64');
    return (
      reply
        .type('text/html; charset=UTF-8')
        .header('Cache-Control', 'no-store')
        // Message HTML is escaped on the server; the policy is the second line: only this page's own script runs.
        .header(
          'Content-Security-Policy',
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
        )
        .header('X-Content-Type-Options', 'nosniff')
        .header('Referrer-Policy', 'same-origin')
        .send(page(recent.map(renderMessage), xsrf, cursor, nonce))
    );
  });
}

function page(messages: ChatdemoMessage[], xsrf: string, cursor: string, nonce: string): string {
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="UTF-8">
<title>Tornado Chat Demo — hubbub lobby</title>
<style nonce="${nonce}">
body{background:#fff;margin:10px;font-family:Arial,sans-serif;font-size:10pt}
#nav{margin-bottom:1em}
#inbox .message{padding-top:.25em}
#input{margin-top:1em}
#message{width:500px}
.buttons{padding-left:5px}
</style>
</head>
<body>
<div id="nav"><b>guest</b> — the hubbub <a href="/r/lobby">lobby</a>, spoken as Tornado's chatdemo</div>
<div id="body">
<div id="inbox">
${messages.map((m) => m.html).join('\n')}
</div>
<div id="input">
<form action="/a/message/new" method="post" id="messageform">
<table><tr>
<td><input name="body" id="message" maxlength="4000" autocomplete="off"></td>
<td class="buttons"><input type="submit" value="Post"><input type="hidden" name="next" value="/chatdemo"><input type="hidden" name="_xsrf" value="${xhtmlEscape(xsrf)}"></td>
</tr></table>
</form>
</div>
</div>
<script nonce="${nonce}">
// The seed's chat.js without jQuery: the same requests, the same fields.
(function () {
  function getCookie(name) {
    var r = document.cookie.match("\\\\b" + name + "=([^;]*)\\\\b");
    return r ? r[1] : undefined;
  }
  function postForm(url, args, ok, fail) {
    args._xsrf = getCookie("_xsrf");
    var parts = [];
    for (var k in args) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(args[k]));
    var x = new XMLHttpRequest();
    x.open("POST", url);
    x.setRequestHeader("Content-Type", "application/x-www-form-urlencoded");
    x.onload = function () { if (x.status === 200) ok(JSON.parse(x.responseText)); else fail(x); };
    x.onerror = function () { fail(x); };
    x.send(parts.join("&"));
  }
  var inbox = document.getElementById("inbox");
  var updater = {
    errorSleepTime: 500,
    cursor: ${scriptSafeJson(cursor)},
    poll: function () {
      var args = {};
      if (updater.cursor) args.cursor = updater.cursor;
      postForm("/a/message/updates", args, updater.onSuccess, updater.onError);
    },
    onSuccess: function (response) {
      if (response.messages && response.messages.length) {
        updater.cursor = response.messages[response.messages.length - 1].id;
        for (var i = 0; i < response.messages.length; i++) updater.showMessage(response.messages[i]);
      }
      updater.errorSleepTime = 500;
      window.setTimeout(updater.poll, 0);
    },
    onError: function () {
      updater.errorSleepTime = Math.min(updater.errorSleepTime * 2, 60000);
      window.setTimeout(updater.poll, updater.errorSleepTime);
    },
    showMessage: function (message) {
      if (document.getElementById("m" + message.id)) return;
      var holder = document.createElement("div");
      holder.innerHTML = message.html;
      if (holder.firstChild) inbox.appendChild(holder.firstChild);
    }
  };
  var form = document.getElementById("messageform");
  var input = document.getElementById("message");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!input.value.trim()) return;
    postForm("/a/message/new", { body: input.value }, function (m) {
      updater.showMessage(m);
      input.value = "";
      input.select();
    }, function (x) { console.log("ERROR:", x.status, x.responseText); });
  });
  input.select();
  updater.poll();
})();
</script>
</body>
</html>
`;
}
