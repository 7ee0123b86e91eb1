// Runs SPARQL and SHACL on Apache Jena for the engine-conformance tests (tests/engines.py).
// One JVM for a whole script of commands read from the file named by the first argument, one per line:
//   load FILE            parse an RDF file (by its extension) into the data model
//   construct RQ OUT.nt  run a CONSTRUCT (strict SPARQL 1.1), write its triples and add them to the model
//   select RQ OUT.json   run a SELECT (strict SPARQL 1.1), write SPARQL JSON results
//   shapes FILE          parse a SHACL shapes file
//   validate OUT.ttl     validate the data model against the shapes, write the report as Turtle
// A command that fails writes OUT.error (one line: the exception) and the script goes on.
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.List;

import org.apache.jena.query.*;
import org.apache.jena.rdf.model.*;
import org.apache.jena.riot.*;
import org.apache.jena.shacl.*;

public class JenaRunner {
    public static void main(String[] args) throws IOException {
        Model data = ModelFactory.createDefaultModel();
        Model shapes = ModelFactory.createDefaultModel();
        List<String> lines = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
        for (String line : lines) {
            String[] cmd = line.trim().split(" ", 3);
            if (cmd[0].isEmpty()) continue;
            String out = cmd.length > 2 ? cmd[2] : (cmd.length > 1 ? cmd[1] : "");
            try {
                switch (cmd[0]) {
                    case "load": RDFDataMgr.read(data, cmd[1]); break;
                    case "shapes": RDFDataMgr.read(shapes, cmd[1]); break;
                    case "construct": {
                        Query q = QueryFactory.create(read(cmd[1]), Syntax.syntaxSPARQL_11);
                        try (QueryExecution qe = QueryExecutionFactory.create(q, data)) {
                            Model derived = qe.execConstruct();
                            try (OutputStream os = new FileOutputStream(out)) {
                                RDFDataMgr.write(os, derived, Lang.NTRIPLES);
                            }
                            data.add(derived);
                        }
                        break;
                    }
                    case "select": {
                        Query q = QueryFactory.create(read(cmd[1]), Syntax.syntaxSPARQL_11);
                        try (QueryExecution qe = QueryExecutionFactory.create(q, data);
                             OutputStream os = new FileOutputStream(out)) {
                            ResultSetFormatter.outputAsJSON(os, qe.execSelect());
                        }
                        break;
                    }
                    case "validate": {
                        Shapes s = Shapes.parse(shapes.getGraph());
                        ValidationReport report = ShaclValidator.get().validate(s, data.getGraph());
                        try (OutputStream os = new FileOutputStream(cmd[1])) {
                            RDFDataMgr.write(os, report.getModel(), Lang.TURTLE);
                        }
                        break;
                    }
                    default: throw new IllegalArgumentException("unknown command " + cmd[0]);
                }
            } catch (Exception e) {
                String msg = (e.getClass().getSimpleName() + ": " + e.getMessage()).replace('\n', ' ');
                Files.write(Paths.get(out + ".error"), msg.getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static String read(String path) throws IOException {
        return new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8);
    }
}
