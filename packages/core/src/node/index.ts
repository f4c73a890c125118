// Node-only entry point of @restguard/core (`@restguard/core/node`): HTTPS serving helpers,
// development certificates, and the node:crypto fast path. Never imported by the main entry.
export {};
