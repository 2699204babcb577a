export { type Actor, SYSTEM_ACTOR } from '../model/index.js';
