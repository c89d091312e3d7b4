export * from './errors.js';
export * from './ids.js';
export * from './clock.js';
export * from './topics.js';
export * from './decimal.js';
