System.Console.WriteLine("Filled by the Benchmarks issue.");
