// A custom decay schedule, annotated instead of registered: dotnet run --project samples/Ema.Samples.CustomSchedule
using Ema.Samples.CustomSchedule;

return CustomScheduleApp.Run(Console.Out);
