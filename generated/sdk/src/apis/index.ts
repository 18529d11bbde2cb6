export * from './ChangesApi.js';
export * from './DocumentationApi.js';
export * from './EventsApi.js';
export * from './ListsApi.js';
export * from './SystemApi.js';
export * from './TasksApi.js';
export * from './TrashApi.js';
export * from './UsersApi.js';
