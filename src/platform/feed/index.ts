export type { Feed, SubscribeOptions } from './types.js';
export { MemoryFeed } from './memory-feed.js';
export { RedisFeed, type RedisFeedOptions } from './redis-feed.js';
export { createFeed, type CreateFeedOptions } from './create-feed.js';
