import type { Conversation, Message } from '../domain/types.js';

/**
 * Plain string rendering of a public room. Everything user-supplied goes
 * through escapeHtml; the markup uses the same classes as the web app's
 * PublicRoom view (web/src/components/PublicRoom.vue), which replaces it once
 * the script runs.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON safe inside <script type="application/json">: nothing in it can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export interface RoomPageData {
  room: Conversation | null;
  requested: string;
  messages: Message[];
  rooms: Array<{ name: string; memberCount: number }>;
  memberCount: number;
  /** Whether web/dist exists (otherwise a note says the app is not built). */
  built: boolean;
}

export interface RenderedPage {
  title: string;
  description: string;
  body: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
/** The server does not know the reader's time zone: UTC, labelled; the app re-renders in local time. */
function utcTime(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}
function utcDay(iso: string): string {
  const d = new Date(iso);
  return d.toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

function truncate(s: string, n: number): string {
  const chars = [...s.replace(/\s+/g, ' ').trim()];
  return chars.length <= n ? chars.join('') : chars.slice(0, n - 1).join('') + '…';
}

export function renderMessages(messages: Message[]): string {
  let out = '';
  let lastDay = '';
  let lastSender = '';
  let lastAt = 0;
  for (const m of messages) {
    const day = m.createdAt.slice(0, 10);
    if (day !== lastDay) {
      out += `<li class="day-sep" role="separator"><span>${escapeHtml(utcDay(m.createdAt))}</span></li>`;
      lastDay = day;
      lastSender = '';
    }
    const at = Date.parse(m.createdAt);
    const grouped = m.senderId === lastSender && at - lastAt < 5 * 60_000;
    lastSender = m.senderId;
    lastAt = at;
    out += `<li class="msg${grouped ? ' msg-grouped' : ''}" data-id="${escapeHtml(m.id)}">`
      + `<div class="msg-meta"><span class="msg-sender">${escapeHtml(m.senderName)}</span>`
      + ` <time class="msg-time" datetime="${escapeHtml(m.createdAt)}">${utcTime(m.createdAt)} UTC</time></div>`
      + `<div class="msg-body">${escapeHtml(m.body)}</div></li>`;
  }
  return out;
}

export function renderRoomPage(d: RoomPageData): RenderedPage {
  const name = d.room?.name ?? d.requested;
  const title = d.room ? `#${name} · hubbub` : 'Room not found · hubbub';
  const last = d.messages[d.messages.length - 1];
  const description = d.room
    ? (last
      ? `#${name} on hubbub, a public chat room: ${d.messages.length} recent messages. Latest from ${last.senderName}: “${truncate(last.body, 110)}”`
      : `#${name} on hubbub, a public chat room. No messages yet — be the first to say hello.`)
    : 'That room does not exist on this hubbub server.';

  const roomLinks = d.rooms
    .map((r) => `<li><a class="pr-room${r.name === name ? ' active' : ''}" href="/r/${encodeURIComponent(r.name)}"${r.name === name ? ' aria-current="page"' : ''}>`
      + `<span class="pr-hash" aria-hidden="true">#</span>${escapeHtml(r.name)}</a></li>`)
    .join('');

  const note = d.built ? '' : '<p class="ssr-note" role="note">The web app is not built yet (run <code>npm run build:web</code>); this page is rendered by the server alone.</p>';

  const main = d.room
    ? `<div class="pr-title"><h1><span class="pr-hash" aria-hidden="true">#</span>${escapeHtml(name)}</h1>`
      + `<p>${d.memberCount} ${d.memberCount === 1 ? 'member' : 'members'} · public room, readable by anyone</p></div>`
      + (d.messages.length
        ? `<ol class="pr-messages" role="log" aria-label="Messages">${renderMessages(d.messages)}</ol>`
        : '<div class="pr-empty"><p>No messages yet.</p></div>')
      + `<p class="pr-cta"><a href="/login">Log in</a> or <a href="/register">create an account</a> to join the conversation.</p>`
    : `<div class="pr-title"><h1>Room not found</h1><p>There is no room called “${escapeHtml(name)}”.</p></div>`
      + `<p class="pr-cta"><a href="/">Go to the lobby</a></p>`;

  const body = `<div class="public-page">`
    + `<header class="pr-header"><a class="brand" href="/"><span class="brand-mark" aria-hidden="true">h</span>hubbub</a>`
    + `<nav class="pr-nav" aria-label="Account"><a class="btn btn-ghost" href="/login">Log in</a><a class="btn btn-primary" href="/register">Sign up</a></nav></header>`
    + note
    + `<div class="pr-layout"><nav class="pr-rooms" aria-label="Public rooms"><h2>Public rooms</h2><ul>${roomLinks}</ul></nav>`
    + `<main class="pr-main">${main}</main></div></div>`;
  return { title, description, body };
}
