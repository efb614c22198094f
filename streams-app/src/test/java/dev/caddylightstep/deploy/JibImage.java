package dev.caddylightstep.deploy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/** The container image as streams-app/pom.xml's Jib profile builds it: its name, user, ports and environment. */
record JibImage(String reference, String uid, List<Integer> ports, Map<String, String> environment, List<String> args) {

    static JibImage fromPom() {
        try {
            Path pom = DeployFiles.dir().resolveSibling("streams-app").resolve("pom.xml");
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
            String version = text(first(doc.getDocumentElement(), "parent"), "version");
            Element jib = null;
            NodeList plugins = doc.getElementsByTagName("plugin");
            for (int i = 0; i < plugins.getLength(); i++) {
                Element plugin = (Element) plugins.item(i);
                if ("jib-maven-plugin".equals(text(plugin, "artifactId"))) {
                    jib = plugin;
                }
            }
            if (jib == null) {
                throw new IllegalStateException("no jib-maven-plugin in " + pom);
            }
            Element configuration = first(jib, "configuration");
            Element container = first(configuration, "container");
            String reference = text(first(configuration, "to"), "image").replace("${project.version}", version);
            String uid = text(container, "user").split(":")[0];
            List<Integer> ports = new ArrayList<>();
            for (Element port : children(first(container, "ports"))) {
                ports.add(Integer.parseInt(port.getTextContent().trim()));
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (Element variable : children(first(container, "environment"))) {
                env.put(variable.getTagName(), variable.getTextContent().trim());
            }
            List<String> args = new ArrayList<>();
            for (Element arg : children(first(container, "args"))) {
                args.add(arg.getTextContent().trim());
            }
            return new JibImage(reference, uid, ports, env, args);
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the Jib configuration: " + e.getMessage(), e);
        }
    }

    private static Element first(Element parent, String tag) {
        for (Element child : children(parent)) {
            if (child.getTagName().equals(tag)) {
                return child;
            }
        }
        throw new IllegalStateException("no <" + tag + "> in <" + parent.getTagName() + ">");
    }

    private static String text(Element parent, String tag) {
        return first(parent, tag).getTextContent().trim();
    }

    private static List<Element> children(Element parent) {
        List<Element> elements = new ArrayList<>();
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i).getNodeType() == Node.ELEMENT_NODE) {
                elements.add((Element) nodes.item(i));
            }
        }
        return elements;
    }
}
