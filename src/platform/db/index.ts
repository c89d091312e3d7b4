export * from './database.js';
export { migrate, loadMigrations, type Migration } from './migrator.js';
export { unnestInsert, type Column } from './unnest.js';
