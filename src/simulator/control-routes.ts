import { authenticate, isErrorReply } from './auth.ts';
import { invalidRequest, withUser } from './errors.ts';
import { type Fault, isFaultName } from './faults.ts';
import { type RequestContext, sendError, sendJson } from './http.ts';
import { isObject, numberField, stringField } from './json-util.ts';

/**
 * Simulator-only routes under /api/v1/simulator, for processes that drive a simulator started by
 * the CLI. POST /simulator/faults `{faults: ["429", {"name": "slow-stream", "ms": 100}]}` queues
 * faults for the caller's next inference requests, ahead of any header or random fault.
 */
export function handleQueueFaults(ctx: RequestContext) {
  const key = authenticate(ctx, 'any');
  if (isErrorReply(key)) return sendError(ctx, key);
  const body = ctx.body;
  const list = isObject(body) ? body.faults : undefined;
  const faults = parseFaultList(list);
  if (typeof faults === 'string') return sendError(ctx, withUser(invalidRequest(faults), key.account.userId));
  ctx.core.faults.enqueue(key.account.userId, faults);
  sendJson(ctx, 200, { data: { queued: faults.length } });
}

export function parseFaultList(list: unknown): Fault[] | string {
  if (!Array.isArray(list)) return '"faults" must be an array of fault names or {name, ms} objects.';
  const faults: Fault[] = [];
  for (const item of list) {
    const name = typeof item === 'string' ? item : isObject(item) ? stringField(item, 'name') : undefined;
    if (name === undefined || !isFaultName(name)) return `Unknown fault ${JSON.stringify(item)}.`;
    const ms = isObject(item) ? numberField(item, 'ms') : undefined;
    faults.push(ms === undefined ? { name } : { name, ms });
  }
  return faults;
}
