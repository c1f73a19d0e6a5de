// The scenario language: compile .pks text to ScenarioIR, load built-in or file scenarios.

export { compileScenario, METRICS, SHORTHANDS, scenarioName } from './compile.js';
export { ScenarioError, DIAGNOSTIC_CODES, type Diagnostic, type DiagnosticCode } from './errors.js';
export { LIBRARY_DIR, libraryNames, listScenarios, loadScenario, readScenario, type LibraryEntry } from './library.js';
export * from './ir.js';
