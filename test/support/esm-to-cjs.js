// Jest (before Node 24.9) cannot require ES modules. A few of Fastify's dependencies ship only ESM (cookie 2),
// so tests compile those files to CommonJS with TypeScript's transpiler; production Node 20 requires them natively.
'use strict';
const ts = require('typescript');

module.exports = {
  process(source, filename) {
    const { outputText, sourceMapText } = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        allowJs: true,
        sourceMap: true,
      },
    });
    return { code: outputText, map: sourceMapText };
  },
};
