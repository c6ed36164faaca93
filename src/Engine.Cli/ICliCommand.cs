using System.CommandLine;

namespace Engine.Cli;

/// <summary>One subcommand. Program discovers every implementation by reflection, so adding a command is adding
/// one file under Commands/ (no shared registration list to edit).</summary>
public interface ICliCommand
{
    Command Build();
}
