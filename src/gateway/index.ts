/** The gateway: an OpenAI-compatible, metered, budgeted HTTP front for OpenRouter. */
export { buildGatewayApp, type GatewayAppOptions } from './app.ts';
export { type Authenticator, createAuthenticator, type Principal, requireAdmin } from './auth.ts';
export type { GatewayContext } from './gateway-context.ts';
export { GATEWAY_ERRORS, GatewayError, type GatewayErrorCode, toGatewayError } from './gateway-error.ts';
export { createGatewayMetrics, type GatewayMetrics } from './metrics.ts';
export { KeyRateLimiter } from './rate-limit.ts';
