export * from './document.js';
export * from './registry.js';
