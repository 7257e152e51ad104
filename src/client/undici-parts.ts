import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';

/**
 * The two parts of undici the transport uses: its connection `Pool` and the `Dispatcher#request`
 * API. undici's entry point also loads fetch, WebSocket, EventSource, its cache and mock agents and
 * their Node modules: about 2 MB of an idle gateway's memory for nothing it uses. These files are
 * undici's own (the lockfile pins the version); the transport's tests run both against a live
 * server, so a file that moved in an upgrade fails them at once.
 */
const requireUndici = createRequire(import.meta.url);

export const Pool = requireUndici('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
export type Pool = UndiciPool;

const requestApi = requireUndici('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

/**
 * `dispatcher.request(options)` for any dispatcher: undici's entry point grafts `request` onto
 * the Dispatcher prototype, which these parts alone do not.
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData> {
  return requestApi.call(dispatcher, options);
}
