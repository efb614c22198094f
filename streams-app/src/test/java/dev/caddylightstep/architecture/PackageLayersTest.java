package dev.caddylightstep.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The packages depend one way: the assembler (topology) and the commands on top, the domain stages in the middle, the
 * shared vocabulary (topics, dead letters), the spans' wire format (otlp) and config at the bottom. A cycle between
 * packages fails here, naming the classes that close it.
 */
class PackageLayersTest {
    private static final JavaClasses APPLICATION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages("dev.caddylightstep");

    @Test
    void packagesFormNoCycle() {
        slices().matching("dev.caddylightstep.(*)..").should().beFreeOfCycles().check(APPLICATION);
    }

    @Test
    void configKnowsNoDomainPackage() {
        noClasses().that().resideInAPackage("dev.caddylightstep.config..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.caddylightstep.config..", "dev.caddylightstep.topics..",
                        "java..", "org.apache.kafka..", "org.slf4j..")
                .check(APPLICATION);
    }

    /** The span stage writes the wire format and the forwarder reads it: below both, it knows neither, nor any other. */
    @Test
    void theSpansWireFormatKnowsNoOtherPackage() {
        noClasses().that().resideInAPackage("dev.caddylightstep.otlp..")
                .should().dependOnClassesThat(resideInAPackage("dev.caddylightstep..").and(resideOutsideOfPackage("dev.caddylightstep.otlp..")))
                .check(APPLICATION);
    }

    @Test
    void onlyTheAssemblerAndWhatRunsItKnowTheTopology() {
        noClasses().that().resideOutsideOfPackages("dev.caddylightstep.topology..", "dev.caddylightstep.run..", "dev.caddylightstep.demo..",
                        "dev.caddylightstep.cli..", "dev.caddylightstep.load..")
                .should().dependOnClassesThat().resideInAPackage("dev.caddylightstep.topology..")
                .check(APPLICATION);
    }
}
