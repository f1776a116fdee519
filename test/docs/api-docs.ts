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
  // A namespace export (`export * as schedules from './schedule.js'`) is documented, as TypeDoc
  // reads it, by its module's first comment when that is a doc comment tagged @module.
  const moduleDoc = (sym: ts.Symbol): ExportDoc | null => {
    const decls = sym.declarations ?? [];
    if (decls.length !== 1 || !ts.isSourceFile(decls[0])) return null;
    const sf = decls[0];
    const text = sf.getFullText();
    const r = (ts.getLeadingCommentRanges(text, 0) ?? []).find((c) => text.startsWith('/**', c.pos) && /@module\b/.test(text.slice(c.pos, c.end)));
    const file = path.relative(root, sf.fileName).split(path.sep).join('/');
    if (r === undefined) return { name: sym.name, documented: false, example: false, comments: [] };
    const raw = text.slice(r.pos, r.end);
    const prose = raw
      .replace(/```[\s\S]*?```/g, '')
      .replace(/@module\b/, '')
      .replace(/^\s*(\/\*\*|\*\/|\*)/gm, '')
      .trim();
    return { name: sym.name, documented: prose !== '', example: /```/.test(raw), comments: [{ file, line: sf.getLineAndCharacterOfPosition(r.pos).line + 1, text: raw }] };
  };
  return checker.getExportsOfModule(module).map((s) => {
    const target = throughCallable(s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
    const asModule = moduleDoc(target);
    if (asModule !== null) return { ...asModule, name: s.name };
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
