/**
 * metering: a metered call, shared by the library facade and the gateway — attribution, module
 * profile, cost cap, budget reservation and pending row before the upstream call; cost, completed
 * row and settled reservation after it.
 */
export { applyModuleProfile, type ProfiledRequest } from './apply-profile.ts';
export { type CallEnd, type CallFailure, failureOf, isCancellation, outcomeOf } from './call-end.ts';
export {
  BalanceTooLowError,
  CostCapExceededError,
  FallbackOverCapError,
  isMeteringError,
  MeteringError,
  type MeteringErrorCode,
  UnpricedCapError,
} from './errors.ts';
export {
  type AdmitInput,
  type Attribution,
  type BalanceSource,
  createMeter,
  type FinishedCall,
  type Meter,
  type MeteredCall,
  type MeterOptions,
} from './meter.ts';
