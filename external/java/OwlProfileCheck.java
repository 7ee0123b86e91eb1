// The OWL 2 profile check of the OWL API (tests/test_engines.py): `OwlProfileCheck [DL|RL] [--map IRI=FILE]... FILE...`
// (DL when no profile is named) prints one line per violation of each ontology file given, its imports
// closure included (after its axiom count), then "violations: N"; exit code 0 when there is none, 1 otherwise.
// Each --map names the local file of an ontology that a file imports (the application module imports the
// domain ontology): nothing is fetched, and an import without a local file is an error.
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class OwlProfileCheck {
    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        OWLProfile profile = new OWL2DLProfile();
        if (!rest.isEmpty() && (rest.get(0).equals("DL") || rest.get(0).equals("RL"))) {
            profile = rest.get(0).equals("RL") ? new OWL2RLProfile() : new OWL2DLProfile();
            rest = rest.subList(1, rest.size());
        }
        Map<IRI, File> local = new LinkedHashMap<>();
        List<String> files = new ArrayList<>();
        for (int i = 0; i < rest.size(); i++) {
            if (rest.get(i).equals("--map")) {
                String[] pair = rest.get(++i).split("=", 2);
                local.put(IRI.create(pair[0]), new File(pair[1]));
            } else {
                files.add(rest.get(i));
            }
        }
        int total = 0;
        for (String path : files) {
            OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
            manager.getIRIMappers().clear();
            manager.getIRIMappers().add(iri -> {
                File f = local.get(iri);
                if (f == null) {
                    throw new RuntimeException("no local file for the import " + iri + " (give --map IRI=FILE)");
                }
                return IRI.create(f);
            });
            OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(path));
            int axioms = 0;
            for (OWLOntology o : ontology.getImportsClosure()) {
                axioms += o.getAxiomCount();
            }
            System.out.println(path + ": axioms: " + axioms + " (" + ontology.getImportsClosure().size() + " ontologies)");
            OWLProfileReport report = profile.checkOntology(ontology);
            for (OWLProfileViolation v : report.getViolations()) {
                System.out.println(path + ": " + v.getClass().getSimpleName() + ": " + v.toString().replace('\n', ' '));
                total++;
            }
        }
        System.out.println("violations: " + total);
        System.exit(total == 0 ? 0 : 1);
    }
}
