export {
  CcxtVenueConnector,
  type CcxtVenueOptions,
  type VenueConnectorStatus,
} from './ccxt-venue.js';
export {
  CircuitBreaker,
  CircuitOpenError,
  type BreakerOptions,
  type BreakerSnapshot,
  type BreakerState,
} from './circuit-breaker.js';
export { isRetryable, VenueError, type PlacementOutcome } from './errors.js';
export { exchangeClientOrderId, type ExchangeSetup } from './exchange.js';
export {
  checkCredentialPermissions,
  permissionPolicy,
  PERMISSION_REPORTING,
  type CredentialPermissions,
  type PermissionVerdict,
} from './permissions.js';
export type { ReconcileReport } from './order-sync.js';
export type {
  StreamState,
  UpdateSource,
  VenueBalance,
  VenueFillUpdate,
  VenueOrderAck,
  VenueStatusUpdate,
  VenueUpdate,
} from './types.js';
