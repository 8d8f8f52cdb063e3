export * from './diff.js';
export * from './draft.js';
export * from './readiness.js';
export * from './summary.js';
