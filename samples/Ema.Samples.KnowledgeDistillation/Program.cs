// Knowledge distillation with the EMA of the student:
// dotnet run --project samples/Ema.Samples.KnowledgeDistillation -c Release [-- --out DIR --epochs N --teacher-epochs N]
// Without --out, the checkpoints go to a new folder under the temporary directory, printed at the start.
using Ema.Samples.KnowledgeDistillation;

return DistillationApp.Run(args, Console.Out);
