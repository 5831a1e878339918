// Starts one real Elasticsearch 7.17 node in this JVM, for tests only.
//
// The jars come from Maven Central (pom.xml beside this file); the modules a
// distribution would load from modules/ are on the class path and handed to
// the Node as class-path plugins. Every argument is a setting, key=value
// (path.home, path.data, http.port, ...): scripts/services.d/elasticsearch.sh
// passes them all. The node stops cleanly on SIGTERM.
//
// The distribution's bootstrap (security manager, jar-hell check, system-call
// filter, the refusal to run as root) is not used: Node is started directly.

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.mapper.MapperExtrasPlugin;
import org.elasticsearch.join.ParentJoinPlugin;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.percolator.PercolatorPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.reindex.ReindexPlugin;
import org.elasticsearch.script.mustache.MustachePlugin;
import org.elasticsearch.search.aggregations.matrix.MatrixAggregationPlugin;
import org.elasticsearch.transport.Netty4Plugin;

public final class Launcher {
    private static final List<Class<? extends Plugin>> MODULES = Arrays.asList(
            Netty4Plugin.class,            // transport-netty4: HTTP and transport
            ReindexPlugin.class,           // reindex: _reindex, _update_by_query, _delete_by_query
            MustachePlugin.class,          // lang-mustache: search templates
            MapperExtrasPlugin.class,      // mapper-extras
            MatrixAggregationPlugin.class, // aggs-matrix-stats
            ParentJoinPlugin.class,        // parent-join
            PercolatorPlugin.class);       // percolator

    /** Node's constructor that takes class-path plugins is protected. */
    private static final class TestNode extends Node {
        TestNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
            super(env, plugins, true);
        }
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder b = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected key=value, got: " + arg);
            }
            b.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = b.build();
        Path home = Paths.get(Environment.PATH_HOME_SETTING.get(settings));
        String nodeName = Node.NODE_NAME_SETTING.get(settings);
        Environment env = InternalSettingsPreparer.prepareEnvironment(
                settings, Collections.emptyMap(), home.resolve("config"), () -> nodeName);

        // Reads config/log4j2.properties and points ${sys:es.logs.*} at path.logs.
        LogConfigurator.registerErrorListener();
        LogConfigurator.setNodeName(nodeName);
        LogConfigurator.configure(env);

        Node node = new TestNode(env, MODULES);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "node-shutdown"));
        try {
            node.start();
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1); // runs the hook, which closes the node
        }
        stopped.await(); // Node's threads are daemons: keep the JVM alive until SIGTERM.
    }
}
