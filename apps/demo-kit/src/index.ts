// The demo apps' shared kit (private): environment contract, start-up, routes, OpenAPI, pages.
export * from './config.js';
export * from './fetch.js';
export * from './openapi.js';
export * from './pages.js';
export * from './routes.js';
export * from './start.js';
