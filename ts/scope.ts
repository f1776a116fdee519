// The open `tidy` scopes: every tensor constructed while one is open is listed in the
// innermost, so the scope can dispose it at the end. (No imports: tensor.ts uses this.)
export const openScopes: object[][] = [];
