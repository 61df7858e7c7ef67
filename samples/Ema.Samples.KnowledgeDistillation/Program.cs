System.Console.WriteLine("Filled by a later issue.");
