import { Counter, Gauge } from 'prom-client';
import type { Metrics } from '../../platform/metrics/metrics.js';

export interface RealtimeMetrics {
  sentData: Counter.Internal;
  sentControl: Counter.Internal;
  slowConsumers: Counter;
}

/** What the scrape-time gauges read from the gateway. */
export interface GatewayState {
  clients(): number;
  channels(): number;
  peakQueueBytes(): number;
}

/** The gateway's series; gauges of current state are computed when scraped, not kept. */
export function realtimeMetrics(metrics: Metrics, state: GatewayState): RealtimeMetrics {
  const registers = [metrics.registry];
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  gauge('obscura_ws_clients', 'Open WebSocket connections', state.clients);
  gauge(
    'obscura_ws_channels',
    'Feed channels with at least one WebSocket subscriber',
    state.channels,
  );
  gauge(
    'obscura_ws_send_queue_peak_bytes',
    'Largest unsent data seen on one WebSocket connection since start: at most WS_MAX_BUFFERED_BYTES plus one message while backpressure works',
    state.peakQueueBytes,
  );
  const sent = new Counter({
    name: 'obscura_ws_messages_sent_total',
    help: 'Frames sent to WebSocket clients: data (feed messages) or control (replies, errors)',
    labelNames: ['type'],
    registers,
  });
  return {
    // Bound once: a labelled inc per fan-out would hash the labels on the hot path.
    sentData: sent.labels('data'),
    sentControl: sent.labels('control'),
    slowConsumers: new Counter({
      name: 'obscura_ws_slow_consumer_disconnects_total',
      help: 'WebSocket connections closed because their unsent data passed WS_MAX_BUFFERED_BYTES',
      registers,
    }),
  };
}
