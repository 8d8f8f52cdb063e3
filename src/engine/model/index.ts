export * from './edge.js';
export * from './model.js';
export * from './parse.js';
export * from './time.js';
