/**
 * Every place a source file names another module, found in its syntax tree (so text in strings and
 * comments never counts): static imports and re-exports, `import type` and `import('x').T` types,
 * `import(...)`, `require(...)` and `require.resolve(...)` (also through any `createRequire(...)` result),
 * `import.meta.resolve(...)`, and `new URL('./file.ts', import.meta.url)` (how workers name their code).
 */
import { createRequire } from 'node:module'
import type * as ts from 'typescript'

// Loaded with require: importing the 9 MB CommonJS compiler from ESM first scans it for named exports (~1 s).
const compiler = createRequire(import.meta.url)('typescript') as typeof ts

export type ReferenceKind = 'import' | 'type' | 'dynamic-import' | 'require' | 'resolve' | 'url'

export interface ModuleReference {
  readonly line: number
  readonly kind: ReferenceKind
  /** The module named; undefined when the argument is computed. */
  readonly specifier?: string
  /** For a computed template argument, its literal head (`@grpc/reflection/build/${v}` → `@grpc/reflection/build/`). */
  readonly head?: string
  /** The line carries `// boundaries: allow-dynamic-import <reason>`. */
  readonly allowedDynamic: boolean
}

const ALLOW_DYNAMIC = /\/\/\s*boundaries:\s*allow-dynamic-import\s+\S/
const CODE_FILE = /\.(?:[cm]?[jt]s|tsx)$/

function scriptKind (fileName: string): ts.ScriptKind {
  if (/\.[cm]?js$/.test(fileName)) return compiler.ScriptKind.JS
  if (fileName.endsWith('.tsx')) return compiler.ScriptKind.TSX
  return compiler.ScriptKind.TS
}

const isImportMeta = (node: ts.Node): boolean =>
  compiler.isMetaProperty(node) && node.keywordToken === compiler.SyntaxKind.ImportKeyword && node.name.text === 'meta'

const isCreateRequireCall = (node: ts.Node): node is ts.CallExpression =>
  compiler.isCallExpression(node) && (
    (compiler.isIdentifier(node.expression) && node.expression.text === 'createRequire') ||
    (compiler.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'createRequire'))

export function scanModuleReferences (fileName: string, text: string): ModuleReference[] {
  const source = compiler.createSourceFile(fileName, text, compiler.ScriptTarget.Latest, false, scriptKind(fileName))
  const lines = text.split('\n')
  // names bound to a require function: `require` itself and `const r = createRequire(import.meta.url)`
  const requireNames = new Set(['require'])
  const references: ModuleReference[] = []

  const collectRequireNames = (node: ts.Node): void => {
    if (compiler.isVariableDeclaration(node) && compiler.isIdentifier(node.name) && node.initializer !== undefined && isCreateRequireCall(node.initializer)) {
      requireNames.add(node.name.text)
    }
    compiler.forEachChild(node, collectRequireNames)
  }
  collectRequireNames(source)

  const isRequireFunction = (node: ts.Expression): boolean =>
    (compiler.isIdentifier(node) && requireNames.has(node.text)) || isCreateRequireCall(node)

  const add = (node: ts.Node, kind: ReferenceKind, argument: ts.Node | undefined): void => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1
    const allowedDynamic = ALLOW_DYNAMIC.test(lines[line - 1] ?? '')
    if (argument !== undefined && (compiler.isStringLiteral(argument) || compiler.isNoSubstitutionTemplateLiteral(argument))) {
      references.push({ line, kind, specifier: argument.text, allowedDynamic })
    } else if (argument !== undefined && compiler.isTemplateExpression(argument)) {
      references.push({ line, kind, head: argument.head.text, allowedDynamic })
    } else {
      references.push({ line, kind, allowedDynamic })
    }
  }

  const visit = (node: ts.Node): void => {
    if (compiler.isImportDeclaration(node) || (compiler.isExportDeclaration(node) && node.moduleSpecifier !== undefined)) {
      add(node, 'import', node.moduleSpecifier)
    } else if (compiler.isImportEqualsDeclaration(node) && compiler.isExternalModuleReference(node.moduleReference)) {
      add(node, 'require', node.moduleReference.expression)
    } else if (compiler.isImportTypeNode(node) && compiler.isLiteralTypeNode(node.argument)) {
      add(node, 'type', node.argument.literal)
    } else if (compiler.isCallExpression(node)) {
      const callee = node.expression
      const first = node.arguments[0]
      if (callee.kind === compiler.SyntaxKind.ImportKeyword) {
        add(node, 'dynamic-import', first)
      } else if (isRequireFunction(callee)) {
        add(node, 'require', first)
      } else if (compiler.isPropertyAccessExpression(callee) && callee.name.text === 'resolve' &&
        (isRequireFunction(callee.expression) || isImportMeta(callee.expression))) {
        add(node, 'resolve', first)
      }
    } else if (compiler.isNewExpression(node) && compiler.isIdentifier(node.expression) && node.expression.text === 'URL') {
      const [target, base] = node.arguments ?? []
      if (target !== undefined && base !== undefined && compiler.isPropertyAccessExpression(base) && isImportMeta(base.expression) &&
        base.name.text === 'url' && compiler.isStringLiteral(target) && CODE_FILE.test(target.text)) {
        add(node, 'url', target)
      }
    }
    compiler.forEachChild(node, visit)
  }
  visit(source)
  return references
}
