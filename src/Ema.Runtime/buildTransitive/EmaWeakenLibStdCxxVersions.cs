// Compiled by MSBuild's RoslynCodeTaskFactory from Ema.Runtime.targets; not part of Ema.Runtime.dll.
//
// TorchSharp 0.107.0's libLibTorchSharp.so was linked against GCC 13's libstdc++ and so asks for the
// symbol version GLIBCXX_3.4.32, although the only symbol it takes from that version,
// std::ios_base_library_init(), is referenced and never called. Debian 12 and Ubuntu 22.04 ship GCC 12's
// libstdc++ (up to GLIBCXX_3.4.30), where the dynamic loader refuses the library. Marking that one
// version requirement weak (VER_FLG_WEAK in its Vernaux entry) makes the loader accept the library; the
// patch is applied to the build's copy of the file only, and only when the system lacks the version.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class EmaWeakenLibStdCxxVersions : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    private static readonly string[] s_libStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    /// <summary>The copies of libLibTorchSharp.so in the build or publish output.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Version names to weaken when the system libstdc++ lacks them, separated by ';'.</summary>
    [Required]
    public string Versions { get; set; } = "";

    /// <summary>Overrides the system libstdc++ that is probed (for tests and unusual layouts).</summary>
    public string SystemLibStdCxx { get; set; } = "";

    public override bool Execute()
    {
        string systemLibrary = FindSystemLibStdCxx();
        if (systemLibrary.Length == 0)
        {
            Log.LogMessage(MessageImportance.Low, "Ema: no system libstdc++.so.6 found; TorchSharp's native library left as shipped.");
            return true;
        }

        byte[] systemBytes = File.ReadAllBytes(systemLibrary);
        foreach (string version in Versions.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries))
        {
            string name = version.Trim();
            if (ContainsCString(systemBytes, name))
            {
                Log.LogMessage(MessageImportance.Low, $"Ema: {systemLibrary} provides {name}; TorchSharp's native library left as shipped.");
                continue;
            }

            foreach (ITaskItem item in Files)
            {
                if (!Weaken(item.ItemSpec, name))
                {
                    return false;
                }
            }
        }

        return !Log.HasLoggedErrors;
    }

    private string FindSystemLibStdCxx()
    {
        if (SystemLibStdCxx.Length > 0)
        {
            return File.Exists(SystemLibStdCxx) ? SystemLibStdCxx : "";
        }

        foreach (string candidate in s_libStdCxxCandidates)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "";
    }

    private bool Weaken(string path, string versionName)
    {
        try
        {
            byte[] elf = File.ReadAllBytes(path);
            int flagsOffset = FindVernauxFlagsOffset(elf, versionName, out string problem);
            if (flagsOffset < 0)
            {
                if (problem.Length > 0)
                {
                    Log.LogWarning($"Ema: cannot weaken {versionName} in '{path}': {problem}. TorchSharp may fail to load on this system.");
                }

                return true;
            }

            ushort flags = BitConverter.ToUInt16(elf, flagsOffset);
            if ((flags & VerFlagWeak) != 0)
            {
                return true;
            }

            flags |= VerFlagWeak;
            elf[flagsOffset] = (byte)(flags & 0xff);
            elf[flagsOffset + 1] = (byte)(flags >> 8);

            // A new file renamed over the old one: a hard or symbolic link into the NuGet cache is replaced, never
            // written through, and a process that has the old file mapped keeps its intact copy. The timestamp is
            // kept so that incremental builds do not copy the original back.
            DateTime lastWrite = File.GetLastWriteTimeUtc(path);
            string temporary = path + ".ema-tmp";
            File.WriteAllBytes(temporary, elf);
            File.SetLastWriteTimeUtc(temporary, lastWrite);
            File.Replace(temporary, path, destinationBackupFileName: null);
            Log.LogMessage(MessageImportance.Normal, $"Ema: marked the {versionName} requirement of '{path}' weak (the system libstdc++ lacks it).");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or OverflowException)
        {
            Log.LogWarning($"Ema: cannot weaken {versionName} in '{path}': {e.Message}. TorchSharp may fail to load on this system.");
        }

        return true;
    }

    /// <summary>Finds the vna_flags field of the Vernaux entry named <paramref name="versionName"/>.</summary>
    private static int FindVernauxFlagsOffset(byte[] elf, string versionName, out string problem)
    {
        problem = "";
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            problem = "not an ELF file";
            return -1;
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            problem = "not a 64-bit little-endian ELF file";
            return -1;
        }

        long sectionTable = (long)BitConverter.ToUInt64(elf, 0x28);
        int sectionSize = BitConverter.ToUInt16(elf, 0x3a);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3c);
        if (sectionSize < 64 || sectionTable <= 0 || sectionTable + (long)sectionSize * sectionCount > elf.Length)
        {
            problem = "malformed section table";
            return -1;
        }

        for (int i = 0; i < sectionCount; i++)
        {
            int header = checked((int)(sectionTable + (long)i * sectionSize));
            if (BitConverter.ToUInt32(elf, header + 4) != ShtGnuVerneed)
            {
                continue;
            }

            ulong verneedOffset = BitConverter.ToUInt64(elf, header + 24);
            uint link = BitConverter.ToUInt32(elf, header + 40);
            if (verneedOffset >= (ulong)elf.Length || link >= (uint)sectionCount)
            {
                problem = "malformed .gnu.version_r section";
                return -1;
            }

            long verneed = (long)verneedOffset;
            int stringSection = checked((int)(sectionTable + (long)link * sectionSize));
            ulong stringsOffset = BitConverter.ToUInt64(elf, stringSection + 24);
            if (stringsOffset >= (ulong)elf.Length)
            {
                problem = "malformed string table";
                return -1;
            }

            long strings = (long)stringsOffset;
            uint entryCount = BitConverter.ToUInt32(elf, header + 44);

            long need = verneed;
            for (uint n = 0; n < entryCount && need + 16 <= elf.Length; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount && aux + 16 <= elf.Length; a++)
                {
                    long nameOffset = strings + BitConverter.ToUInt32(elf, (int)aux + 8);
                    if (CStringEquals(elf, nameOffset, versionName))
                    {
                        return (int)aux + 4;
                    }

                    uint nextAux = BitConverter.ToUInt32(elf, (int)aux + 12);
                    if (nextAux == 0)
                    {
                        break;
                    }

                    aux += nextAux;
                }

                uint nextNeed = BitConverter.ToUInt32(elf, (int)need + 12);
                if (nextNeed == 0)
                {
                    break;
                }

                need += nextNeed;
            }
        }

        return -1; // The library does not ask for this version: nothing to do.
    }

    private static bool CStringEquals(byte[] bytes, long offset, string value)
    {
        if (offset < 0 || offset + value.Length >= bytes.Length)
        {
            return false;
        }

        for (int i = 0; i < value.Length; i++)
        {
            if (bytes[offset + i] != (byte)value[i])
            {
                return false;
            }
        }

        return bytes[offset + value.Length] == 0;
    }

    private static bool ContainsCString(byte[] haystack, string value)
    {
        byte[] needle = Encoding.ASCII.GetBytes(value + "\0");
        for (int i = 1; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack[i - 1] != 0 || haystack[i] != needle[0])
            {
                continue;
            }

            int j = 1;
            while (j < needle.Length && haystack[i + j] == needle[j])
            {
                j++;
            }

            if (j == needle.Length)
            {
                return true;
            }
        }

        return false;
    }
}
