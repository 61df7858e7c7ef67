System.Console.WriteLine("Filled once ModelEma lands.");
