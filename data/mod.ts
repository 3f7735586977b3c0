/**
 * Data for copra. @module
 */
export * from "./errors.ts";
export * from "./format.ts";
export * from "./prosqa.ts";
export * from "./prosqa_graph.ts";
export * from "./score.ts";
