import { int, type ConfigOf } from '../../platform/config/index.js';

/** The WebSocket gateway's fragment of the configuration. */
export const realtimeConfig = {
  wsHeartbeatSeconds: int('WS_HEARTBEAT_SECONDS', {
    doc: 'Seconds between WebSocket pings; a connection that has not answered one ping by the next is closed',
    default: 30,
    min: 1,
    max: 3600,
  }),
  wsMaxBufferedBytes: int('WS_MAX_BUFFERED_BYTES', {
    doc: 'Bytes a WebSocket connection may have waiting to be sent before it is closed as a slow consumer',
    default: 1048576,
    min: 1024,
  }),
  wsMaxSubscriptions: int('WS_MAX_SUBSCRIPTIONS', {
    doc: 'Channels one WebSocket connection may subscribe to at once',
    default: 100,
    min: 1,
    max: 10000,
  }),
  wsAuthTimeoutSeconds: int('WS_AUTH_TIMEOUT_SECONDS', {
    doc: 'Seconds a new WebSocket connection has to authenticate before it is closed',
    default: 10,
    min: 1,
    max: 300,
  }),
};

export type RealtimeConfig = ConfigOf<typeof realtimeConfig>;
