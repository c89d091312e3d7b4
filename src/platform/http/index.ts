export * from './server.js';
export * from './problem.js';
export * from './rate-limit.js';
