/**
 * Fan-out by channel. A message is serialised once and the same bytes go to every subscriber
 * of its channel; a message for a channel nobody watches costs one map lookup. A subscriber
 * with filters (`wants`) is asked first, and gets the message once however many of its
 * filters let it through.
 */
import { encodeData, type ChannelKind } from './protocol.js';

export interface Subscriber {
  /** Sends a frame, or refuses it (slow or closing); returns whether it was sent. */
  deliver(frame: Buffer): boolean;
  /** Whether this message of `channel` passes the subscriber's filters; absent: all do. */
  wants?(channel: string, data: unknown): boolean;
}

interface Topic {
  type: ChannelKind;
  subscribers: Set<Subscriber>;
}

export class Hub {
  private readonly topics = new Map<string, Topic>();

  /** Adds `sub` to `channel`; false if it was already there. */
  add(channel: string, type: ChannelKind, sub: Subscriber): boolean {
    let topic = this.topics.get(channel);
    if (!topic) {
      topic = { type, subscribers: new Set() };
      this.topics.set(channel, topic);
    }
    if (topic.subscribers.has(sub)) return false;
    topic.subscribers.add(sub);
    return true;
  }

  remove(channel: string, sub: Subscriber): void {
    const topic = this.topics.get(channel);
    if (!topic) return;
    topic.subscribers.delete(sub);
    // Empty topics go at once, so channels named by departed clients cannot pile up.
    if (topic.subscribers.size === 0) this.topics.delete(channel);
  }

  /** Delivers `data` to the subscribers of `channel`; returns how many were sent the frame. */
  publish(channel: string, data: unknown): number {
    const topic = this.topics.get(channel);
    if (!topic) return 0;
    let frame: Buffer | undefined;
    let sent = 0;
    // A subscriber refused as slow removes itself from the set during this loop; a Set
    // iterator tolerates deletion and simply skips it.
    for (const sub of topic.subscribers) {
      if (sub.wants && !sub.wants(channel, data)) continue;
      frame ??= encodeData(topic.type, channel, data);
      if (sub.deliver(frame)) sent++;
    }
    return sent;
  }

  get channelCount(): number {
    return this.topics.size;
  }

  subscriberCount(channel: string): number {
    return this.topics.get(channel)?.subscribers.size ?? 0;
  }
}
