export * from './DocumentationApi.js';
export * from './SystemApi.js';
export * from './TasksApi.js';
export * from './UsersApi.js';
