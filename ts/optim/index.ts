export * from './rules.js';
export { setup, update, adjust, freeze, thaw, Leaf, type StateTree } from './state.js';
