// The types only generated code uses live in Ema.__Internals (hidden from IntelliSense); the runtime uses them everywhere.
global using Ema.__Internals;
