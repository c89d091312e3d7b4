export * from './database.js';
export { migrate, loadMigrations, type Migration } from './migrator.js';
export { jsonInsert, jsonInsertText } from './json-insert.js';
