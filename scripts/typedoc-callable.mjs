// TypeDoc plugin: the public classes that construct with or without `new` are exported as
// `const X_ = callable(X)` and `type X_ = X` under the name X (ts/callable.ts). TypeDoc sees a
// variable and a type alias there, without the class's doc comment; this gives both the
// comment of the class they stand for, so the reference shows what the source says.
import ts from 'typescript';
import { Converter, ReflectionKind } from 'typedoc';

/** `callable(X)`, possibly cast (`callable(X) as XClass`): X's identifier, else undefined. */
function callableArgument(expr) {
  let e = expr;
  while (e && (ts.isAsExpression(e) || ts.isParenthesizedExpression(e) || ts.isSatisfiesExpression(e))) e = e.expression;
  if (e && ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'callable' && e.arguments.length === 1) return e.arguments[0];
  return undefined;
}

/** The class a variable or type alias declaration stands for, as the node naming it. */
function classNode(decl) {
  if (ts.isVariableDeclaration(decl)) return callableArgument(decl.initializer);
  if (ts.isTypeAliasDeclaration(decl) && ts.isTypeReferenceNode(decl.type)) return decl.type.typeName;
  return undefined;
}

export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    if (reflection.comment || !reflection.kindOf(ReflectionKind.Variable | ReflectionKind.TypeAlias)) return;
    const symbol = context.getSymbolFromReflection(reflection);
    const decl = symbol?.declarations?.[0];
    const node = decl && classNode(decl);
    if (!node) return;
    let target = context.checker.getSymbolAtLocation(node);
    if (target && target.flags & ts.SymbolFlags.Alias) target = context.checker.getAliasedSymbol(target);
    if (!target || !(target.flags & ts.SymbolFlags.Class)) return;
    const comment = context.getComment(target, ReflectionKind.Class);
    if (comment) reflection.comment = comment.clone();
  });
}
