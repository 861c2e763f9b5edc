using System.Collections;
using System.Reflection;
using System.Xml.Linq;
using SidecarInjector.Tests.Support;
using Xunit;

namespace SidecarInjector.Tests.Hosting;

/// <summary>
/// src/SidecarInjector/Hosting/HostStartupTypes.rd.xml has the Native AOT compiler build the types the
/// host's start would otherwise make at run time. Held equal to what the start actually makes, read from
/// the service provider's call sites (the same ones in a JIT process as in the native one): a type
/// missing from the list costs start-up time again, a type no longer made is dead weight in the image.
/// </summary>
public class HostStartupTypesTests
{
    private static readonly string RdXml = Path.Combine(Paths.RepositoryRoot, "src", "SidecarInjector", "Hosting", "HostStartupTypes.rd.xml");

    [Fact]
    public async Task The_rd_xml_lists_exactly_the_types_dependency_injection_makes_while_the_host_starts()
    {
        await using var harness = await ServerHarness.StartAsync();
        var made = TypesMadeAtRunTime(harness.Server.Services);
        var listed = ListedTypes();

        Assert.True(made.Count > 10, "the call sites were not found: " + made.Count + " types");
        var missing = made.Where(type => !listed.Contains(type)).Select(RdXmlLine).Order().ToList();
        var unused = listed.Where(type => !made.Contains(type)).Select(type => type.ToString()).Order().ToList();
        Assert.True(missing.Count == 0, "add to HostStartupTypes.rd.xml:\n" + string.Join("\n", missing));
        Assert.True(unused.Count == 0, "no longer made at start, remove from HostStartupTypes.rd.xml:\n" + string.Join("\n", unused));
    }

    /// <summary>
    /// Closed generic classes and arrays in the provider's call sites: what it makes with MakeGenericType
    /// and Array.CreateInstance. The call-site cache is internal to Microsoft.Extensions.DependencyInjection
    /// (stable since .NET 6); if it moves, the count check above fails rather than passing empty.
    /// </summary>
    private static HashSet<Type> TypesMadeAtRunTime(IServiceProvider services)
    {
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public;
        var factory = services.GetType().GetProperty("CallSiteFactory", Instance)?.GetValue(services);
        var cache = factory?.GetType().GetField("_callSiteCache", Instance)?.GetValue(factory);
        var callSites = (IEnumerable?)cache?.GetType().GetProperty("Values")?.GetValue(cache) ?? Array.Empty<object>();
        var made = new HashSet<Type>();
        foreach (var callSite in callSites)
        {
            foreach (var property in new[] { "ServiceType", "ImplementationType" })
            {
                if (callSite.GetType().GetProperty(property)?.GetValue(callSite) is not Type type)
                {
                    continue;
                }
                bool madeAtRunTime = type.IsArray || (type.IsGenericType && !type.IsGenericTypeDefinition && !type.IsInterface);
                if (madeAtRunTime)
                {
                    made.Add(type);
                }
            }
        }
        return made;
    }

    /// <summary>The file's types; each must name a type that exists, rooted whole (as the compiler needs it).</summary>
    private static HashSet<Type> ListedTypes()
    {
        var listed = new HashSet<Type>();
        foreach (var element in XDocument.Load(RdXml).Descendants().Where(e => e.Name.LocalName == "Type"))
        {
            var assembly = element.Parent!.Attribute("Name")!.Value;
            var name = element.Attribute("Name")!.Value;
            var type = Resolve(name, assembly);
            Assert.True(type is not null, name + " (" + assembly + ") does not resolve");
            Assert.Equal("Required All", element.Attribute("Dynamic")?.Value);
            listed.Add(type);
        }
        return listed;
    }

    private static Type? Resolve(string name, string assembly) =>
        Type.GetType(name + ", " + assembly, assemblyName => AppDomain.CurrentDomain.GetAssemblies().FirstOrDefault(a => a.GetName().Name == assemblyName.Name) ?? Assembly.Load(assemblyName), null, throwOnError: false);

    /// <summary>The line to add for <paramref name="type"/>, in the file's notation (arguments assembly-qualified).</summary>
    private static string RdXmlLine(Type type)
    {
        var named = type.IsArray ? type.GetElementType()! : type;
        return "<Assembly Name=\"" + named.Assembly.GetName().Name + "\"> <Type Name=\"" + Name(type) + "\" Dynamic=\"Required All\" />";
    }

    private static string Name(Type type)
    {
        if (type.IsArray)
        {
            return Name(type.GetElementType()!) + "[]";
        }
        if (!type.IsGenericType)
        {
            return type.FullName!;
        }
        var arguments = type.GetGenericArguments().Select(argument => "[" + Name(argument) + "," + argument.Assembly.GetName().Name + "]");
        return type.GetGenericTypeDefinition().FullName + "[" + string.Join(",", arguments) + "]";
    }
}
