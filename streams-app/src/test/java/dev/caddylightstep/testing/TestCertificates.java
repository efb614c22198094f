package dev.caddylightstep.testing;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A throwaway certificate authority and a broker certificate for 127.0.0.1 and localhost, made in the test,
 * as PKCS#12 key and trust stores.
 *
 * @param password of both stores
 */
public record TestCertificates(Path keyStore, Path trustStore, String password) {

    public static TestCertificates create(Path dir) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair caKeys = generator.generateKeyPair();
        KeyPair brokerKeys = generator.generateKeyPair();
        Instant now = Instant.now();
        X500Name caName = new X500Name("CN=caddy-lightstep test CA");
        X509Certificate ca = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))), caName, caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true)), caKeys);
        X509Certificate broker = sign(new JcaX509v3CertificateBuilder(caName, BigInteger.TWO, Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=localhost"), brokerKeys.getPublic())
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")})), caKeys);

        String password = "test-store-password";
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("broker", brokerKeys.getPrivate(), password.toCharArray(), new X509Certificate[] {broker, ca});
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        Path keyStore = dir.resolve("broker.p12");
        Path trustStore = dir.resolve("truststore.p12");
        try (OutputStream out = Files.newOutputStream(keyStore)) {
            keys.store(out, password.toCharArray());
        }
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            trust.store(out, password.toCharArray());
        }
        return new TestCertificates(keyStore, trustStore, password);
    }

    private static X509Certificate sign(org.bouncycastle.cert.X509v3CertificateBuilder builder, KeyPair issuer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuer.getPrivate())));
    }
}
