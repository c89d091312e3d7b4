export * from './types.js';
export * from './validate.js';
export * from './tradingview.js';
export * from './gcra.js';
export * from './consensus.js';
export * from './enrich.js';
export * from './evaluate.js';
export * from './timeline.js';
