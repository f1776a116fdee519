// What the API reference (npm run docs, TypeDoc over ts/index.ts) shows for each public export:
// whether its declaration has a doc comment, and whether that comment has an example (a code
// block or an @example tag). Read with the TypeScript compiler, as TypeDoc reads it.
import path from 'node:path';
import ts from 'typescript';

export interface ExportDoc {
  name: string;
  documented: boolean;
  example: boolean;
  /** The raw comments before the export's declarations, each with where it starts. */
  comments: DocComment[];
}

export interface DocComment {
  /** The source file, relative to the checkout (ts/ops/binary.ts). */
  file: string;
  /** 1-based line of the comment's first line. */
  line: number;
  text: string;
}

export function exportDocs(root: string): ExportDoc[] {
  const entry = path.join(root, 'ts', 'index.ts');
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (source === undefined) throw new Error(`cannot read ${entry}`);
  const module = checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error(`${entry} is not a module`);
  // A public class is exported through callable() (ts/callable.ts): `const X_ = callable(X)`,
  // exported as X. Its documentation is the class's.
  const throughCallable = (sym: ts.Symbol): ts.Symbol => {
    for (const d of sym.declarations ?? []) {
      if (!ts.isVariableDeclaration(d) || d.initializer === undefined) continue;
      let init: ts.Expression = d.initializer;
      while (ts.isAsExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
      if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'callable' && init.arguments.length === 1) {
        const cls = checker.getSymbolAtLocation(init.arguments[0]);
        if (cls !== undefined) return cls.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(cls) : cls;
      }
    }
    return sym;
  };
  return checker.getExportsOfModule(module).map((s) => {
    const target = throughCallable(s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
    const doc = ts.displayPartsToString(target.getDocumentationComment(checker));
    // the raw comments before each declaration (a code block inside one is the example)
    const comments: DocComment[] = [];
    for (const d of target.declarations ?? []) {
      // a `const` is documented on its statement (export const add = ...), not on the declaration
      const node = ts.isVariableDeclaration(d) ? d.parent.parent : d;
      const sf = node.getSourceFile();
      const text = sf.getFullText();
      for (const r of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) {
        const file = path.relative(root, sf.fileName).split(path.sep).join('/');
        const line = sf.getLineAndCharacterOfPosition(r.pos).line + 1;
        // overloads of one function can share a comment: keep each once
        if (!comments.some((c) => c.file === file && c.line === line)) comments.push({ file, line, text: text.slice(r.pos, r.end) });
      }
    }
    const raw = comments.map((c) => c.text).join('\n');
    const tags = target.getJsDocTags(checker).map((t) => t.name);
    return { name: s.name, documented: doc.trim() !== '', example: /```/.test(raw) || tags.includes('example'), comments };
  });
}
