/**
 * The hubbub SDK, for browsers and Node 20. See docs/sdk.md.
 *
 *   const c = new HubbubClient({ baseUrl, token });
 *   c.on('message', (m) => …);
 *   await c.connect();
 *   await c.send(conversationId, 'hello');
 */
export { HubbubClient, type ClientEvents, type HubbubClientOptions } from './client.js';
export { StreamClient } from './stream.js';
export { RestApi, type Friend, type SyncResult } from './rest.js';
export { Backoff } from './backoff.js';
export type { UploadFile, UploadOptions } from './files.js';
export { compareCursors, cursorPosition } from './cursor.js';
export type { WebSocketCtor, WebSocketLike } from './transports/ws.js';
export * from './types.js';
