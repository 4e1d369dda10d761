// Kept for the registry client's imports: the connections live in ../http/agents.ts.
export * from '../http/agents.js';
