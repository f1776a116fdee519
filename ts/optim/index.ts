export * from './rules.js';
export { setup, update, adjust, freeze, thaw, Leaf, NonFiniteError, type StateTree, type StateOf, type RuleStateOf } from './state.js';
