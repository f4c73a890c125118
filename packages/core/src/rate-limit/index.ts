export * from './limiter.js';
export * from './rate.js';
