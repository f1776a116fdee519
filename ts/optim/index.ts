export * from './rules.js';
export { setup, update, adjust, freeze, thaw, Leaf, NonFiniteError, type StateTree } from './state.js';
