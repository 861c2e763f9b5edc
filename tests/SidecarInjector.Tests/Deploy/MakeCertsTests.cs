using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using SidecarInjector.Tests.Support;

namespace SidecarInjector.Tests.Deploy;

/// <summary>deploy/self-signed/make-certs.sh keeps the CA's private key out of the working tree.</summary>
public sealed class MakeCertsTests
{
    [SkippableFact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Keys_are_written_outside_the_working_tree_for_the_user_alone()
    {
        Skip.If(!File.Exists("/usr/bin/openssl") && Environment.GetEnvironmentVariable("CI") != "true", "openssl is not installed");
        var home = Directory.CreateTempSubdirectory("make-certs-home");
        var workingTree = Directory.CreateTempSubdirectory("make-certs-cwd");
        try
        {
            var start = new ProcessStartInfo("bash", [Path.Combine(Paths.RepositoryRoot, "deploy", "self-signed", "make-certs.sh")])
            {
                WorkingDirectory = workingTree.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            start.Environment["HOME"] = home.FullName;
            start.Environment.Remove("XDG_STATE_HOME");
            start.Environment.Remove("CERT_DIR");
            // No cluster here: the script makes the certificates, then stops at its first kubectl call.
            start.Environment["KUBECONFIG"] = Path.Combine(home.FullName, "no-such-kubeconfig");
            using (var process = Process.Start(start)!)
            {
                process.StandardOutput.ReadToEnd();
                process.StandardError.ReadToEnd();
                process.WaitForExit();
            }

            Assert.Empty(Directory.GetFileSystemEntries(workingTree.FullName));
            var dir = Path.Combine(home.FullName, ".local", "state", "sidecar-injector", "certs");
            foreach (var key in new[] { "ca.key", "tls.key" })
            {
                var mode = File.GetUnixFileMode(Path.Combine(dir, key));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
            }
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
            using var serving = X509Certificate2.CreateFromPemFile(Path.Combine(dir, "tls.crt"), Path.Combine(dir, "tls.key"));
            Assert.Contains("sidecar-injector.sidecar-injector.svc", serving.GetNameInfo(X509NameType.DnsName, false) + " "
                + string.Join(" ", serving.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames())));
        }
        finally
        {
            home.Delete(recursive: true);
            workingTree.Delete(recursive: true);
        }
    }
}
